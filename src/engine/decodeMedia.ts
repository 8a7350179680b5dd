// One image or video item of a conversation → what the scorer and the prompt need from it.
import type { ImageItem, VideoItem } from '../contracts/request.ts';
import type { MediaDecoder } from '../media/decoder.ts';
import type { VisionItem } from './scorer.ts';

export type DecodedMedia = { vision: VisionItem; timestamps?: number[]; warnings?: string[] };

export async function decodeMediaItem(media: MediaDecoder, item: ImageItem | VideoItem): Promise<DecodedMedia> {
  if (item.type === 'image') {
    const img = await media.image(item);
    return { vision: { patches: img.patches, grid: img.grid }, warnings: img.warnings };
  }
  const vid = await media.video(item);
  return { vision: { patches: vid.patches, grid: vid.grid }, timestamps: vid.timestamps };
}

/** The media of a conversation in prompt order, split as the prompt and the scorer take them. */
export function promptMediaOf(items: (ImageItem | VideoItem)[], decoded: DecodedMedia[]) {
  const images: VisionItem[] = [];
  const videos: VisionItem[] = [];
  const media = { images: [] as VisionItem['grid'][], videos: [] as { grid: VisionItem['grid']; timestamps: number[] }[] };
  items.forEach((item, i) => {
    const d = decoded[i];
    if (item.type === 'image') {
      images.push(d.vision);
      media.images.push(d.vision.grid);
    } else {
      videos.push(d.vision);
      media.videos.push({ grid: d.vision.grid, timestamps: d.timestamps ?? [] });
    }
  });
  return { images, videos, media };
}
