# The official embedder on Sift's prepared inputs (bench/fidelity/embedInputs.ts): the official
# Qwen3VLForEmbedding class, loaded at run time from QwenLM/Qwen3-VL-Embedding's
# src/models/qwen3_vl_embedding.py (path given on the command line; not part of Sift), runs each input's
# ids + pixel_values / pixel_values_videos + grids, pools the last token with the official
# Qwen3VLEmbedder._pooling_last and normalises (F.normalize), as Qwen3VLEmbedder.process does.
#
# It also checks Sift's prompt ids where Python can build them without torchvision / qwen_vl_utils: the
# official format_model_input + processor.apply_chat_template(..., add_generation_prompt=True,
# tokenize=False) + the checkpoint's tokenizer (truncation=True, max_length=8192, as the processor
# call), image pads expanded by the processor's own replace_image_token. Videos are not checked:
# transformers 5 wraps each video in one more vision_start/end pair than 4.57.3, which the reference
# pins and Sift follows; the model runs Sift's ids.
#
# qwen_vl_utils is not installed: the official file imports process_vision_info at import time, so a
# stub module is put in sys.modules only for the import (it raises if called; nothing here calls it).
#   python bench/fidelity/embedOfficial.py <qwen3_vl_embedding.py> <checkpoint-dir> <inputs-dir> <out.json>
#     [--dtype float32|bfloat16] [--threads N]
import importlib.util
import json
import sys
import time
import types

import numpy as np
import torch
import torch.nn.functional as F


def load_official(path):
    def unavailable(*args, **kwargs):
        raise RuntimeError("qwen_vl_utils is a stub here: the parity tool feeds Sift's patches instead")

    pkg = types.ModuleType("qwen_vl_utils")
    vp = types.ModuleType("qwen_vl_utils.vision_process")
    vp.process_vision_info = unavailable
    pkg.vision_process = vp
    sys.modules.setdefault("qwen_vl_utils", pkg)
    sys.modules.setdefault("qwen_vl_utils.vision_process", vp)
    spec = importlib.util.spec_from_file_location("qwen3_vl_embedding_official", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def official_processor(ckpt):
    """Qwen3VLProcessor without its image/video processors (they need torchvision): the chat template and tokenizer are what is checked."""
    from transformers import AutoTokenizer, Qwen3VLProcessor

    tokenizer = AutoTokenizer.from_pretrained(ckpt, padding_side="right")
    proc = Qwen3VLProcessor.__new__(Qwen3VLProcessor)
    proc.tokenizer = tokenizer
    proc.chat_template = json.load(open(f"{ckpt}/chat_template.json"))["chat_template"]
    proc.image_token = "<|image_pad|>"
    proc.image_processor = types.SimpleNamespace(merge_size=2)
    return proc


def official_ids(mod, proc, inp, images, max_length):
    """The ids the official embedder gives a text/image input: format_model_input → chat template → pads → tokenizer."""
    # format_model_input reads only these attributes of the embedder (its __init__ would load the model).
    embedder = types.SimpleNamespace(
        default_instruction="Represent the user's input.",
        fps=mod.FPS,
        max_frames=mod.MAX_FRAMES,
        total_pixels=mod.MAX_TOTAL_PIXELS,
        min_pixels=mod.MIN_PIXELS,
        max_pixels=mod.MAX_PIXELS,
    )
    conv = mod.Qwen3VLEmbedder.format_model_input(
        embedder, text=inp.get("text"), image=inp.get("image"), instruction=inp.get("instruction")
    )
    text = proc.apply_chat_template([conv], add_generation_prompt=True, tokenize=False)[0]
    parts = text.split(proc.image_token)
    assert len(parts) == len(images) + 1, f"{len(parts) - 1} image placeholders for {len(images)} images"
    grids = {"image_grid_thw": torch.tensor([im["grid"] for im in images])} if images else {}
    text = parts[0] + "".join(proc.replace_image_token(grids, k) + p for k, p in enumerate(parts[1:]))
    return text, proc.tokenizer(text, truncation=True, max_length=max_length)["input_ids"]


def main():
    official_file, ckpt, inputs_dir, out_file = sys.argv[1:5]
    dtype = getattr(torch, sys.argv[sys.argv.index("--dtype") + 1]) if "--dtype" in sys.argv else torch.float32
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    mod = load_official(official_file)
    model = mod.Qwen3VLForEmbedding.from_pretrained(ckpt, dtype=dtype).eval()
    proc = official_processor(ckpt)
    image_pad = proc.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    video_pad = proc.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    inputs = json.load(open(f"{inputs_dir}/inputs.json"))
    out = {"embeddings": {}, "ms": {}, "ids": {}}
    patches = lambda media: torch.from_numpy(
        np.concatenate([np.fromfile(f"{inputs_dir}/{m['file']}", dtype=np.float32).reshape(-1, 1536) for m in media])
    ).to(dtype)
    with torch.no_grad():
        for inp in inputs:
            name = inp["name"]
            if not inp["videos"]:
                text, ids = official_ids(mod, proc, inp["input"], inp["images"], mod.MAX_LENGTH)
                first = next((i for i, (a, b) in enumerate(zip(ids, inp["ids"])) if a != b), None)
                same = ids == inp["ids"]
                out["ids"][name] = {"same": same, "official": len(ids), "sift": len(inp["ids"]), "first_diff": first}
                if not same:
                    print(f"ids differ for {name}: official {len(ids)} vs sift {len(inp['ids'])}, first at {first}", file=sys.stderr)
            ids = torch.tensor([inp["ids"]])
            feed = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
            if inp["images"] or inp["videos"]:
                # transformers 5 wants the processor's mm_token_type_ids for M-RoPE: 1 image, 2 video.
                feed["mm_token_type_ids"] = (ids == image_pad).long() + 2 * (ids == video_pad).long()
            if inp["images"]:
                feed["pixel_values"] = patches(inp["images"])
                feed["image_grid_thw"] = torch.tensor([m["grid"] for m in inp["images"]])
            if inp["videos"]:
                feed["pixel_values_videos"] = patches(inp["videos"])
                feed["video_grid_thw"] = torch.tensor([m["grid"] for m in inp["videos"]])
            t0 = time.perf_counter()
            res = model(**feed)
            pooled = mod.Qwen3VLEmbedder._pooling_last(res.last_hidden_state, res.attention_mask)
            emb = F.normalize(pooled.float(), p=2, dim=-1)[0]
            out["ms"][name] = round((time.perf_counter() - t0) * 1000)
            out["embeddings"][name] = emb.tolist()
            print(f"official {dtype} {name}: {len(inp['ids'])} tokens, {out['ms'][name]} ms", file=sys.stderr)
    json.dump(out, open(out_file, "w"))


if __name__ == "__main__":
    main()
