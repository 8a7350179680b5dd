# Scores the fidelity inputs (bench/fidelity/inputs.ts) with the official implementation: transformers'
# Qwen3-VL model class, scored the way QwenLM/Qwen3-VL-Embedding's Qwen3VLReranker.compute_scores does
# (the backbone's last hidden state at the last token, a linear on W[yes] - W[no], a sigmoid), one
# forward per document. Run with a Python that has torch and transformers:
#   python bench/fidelity/official.py <checkpoint-dir> <inputs-dir> <out.json> [--dtype float32|bfloat16] [--threads N]
import json
import sys
import time

import numpy as np
import torch
from transformers import Qwen3VLForConditionalGeneration


def main() -> None:
    ckpt, inputs_dir, out_file = sys.argv[1:4]
    dtype = getattr(torch, sys.argv[sys.argv.index("--dtype") + 1]) if "--dtype" in sys.argv else torch.float32
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    lm = Qwen3VLForConditionalGeneration.from_pretrained(ckpt, dtype=dtype).eval()
    tokenizer = json.load(open(f"{ckpt}/tokenizer.json"))
    vocab = tokenizer["model"]["vocab"]
    special = {t["content"]: t["id"] for t in tokenizer.get("added_tokens", [])}
    image_pad, video_pad = special["<|image_pad|>"], special["<|video_pad|>"]
    head = lm.lm_head.weight.data
    score_w = (head[vocab["yes"]] - head[vocab["no"]]).to(dtype)
    inputs = json.load(open(f"{inputs_dir}/inputs.json"))
    out = {}
    with torch.no_grad():
        for name, docs in inputs.items():
            scores = []
            t0 = time.perf_counter()
            for doc in docs:
                feed = {"input_ids": torch.tensor([doc["ids"]]), "attention_mask": torch.ones(1, len(doc["ids"]), dtype=torch.long)}
                if doc["images"]:
                    # transformers 5 wants the processor's mm_token_type_ids for M-RoPE: 1 image, 2 video.
                    ids = torch.tensor([doc["ids"]])
                    feed["mm_token_type_ids"] = (ids == image_pad).long() + 2 * (ids == video_pad).long()
                    patches = [np.fromfile(f"{inputs_dir}/{im['file']}", dtype=np.float32).reshape(-1, 1536) for im in doc["images"]]
                    feed["pixel_values"] = torch.from_numpy(np.concatenate(patches)).to(dtype)
                    feed["image_grid_thw"] = torch.tensor([im["grid"] for im in doc["images"]])
                h = lm.model(**feed).last_hidden_state[0, -1]
                scores.append(float(torch.sigmoid((h * score_w).sum().float())))
            out[name] = {"scores": scores, "ms": round((time.perf_counter() - t0) * 1000)}
            print(f"official {dtype} {name}: {out[name]['ms']} ms", file=sys.stderr)
    json.dump(out, open(out_file, "w"))


if __name__ == "__main__":
    main()
