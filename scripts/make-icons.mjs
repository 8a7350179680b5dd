#!/usr/bin/env node
// Draws the app icons (a "ranked list" glyph: bars of falling length) into public/ with pngjs, so no
// binary artwork has to live in the repo history. Run once; the PNGs it writes are small and committed.
import { PNG } from 'pngjs';
import { writeFileSync } from 'node:fs';

function icon(size, { maskable }) {
  const png = new PNG({ width: size, height: size });
  const bg = [36, 84, 197];
  const fg = [255, 255, 255];
  const pad = maskable ? 0.2 : 0.12; // maskable icons keep their content in the safe zone
  const radius = maskable ? 0 : size * 0.18;
  const bars = [1, 0.78, 0.58, 0.4];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      // Rounded square background (full bleed for maskable).
      const cx = Math.max(radius - x, 0, x - (size - 1 - radius));
      const cy = Math.max(radius - y, 0, y - (size - 1 - radius));
      const inside = radius === 0 || cx * cx + cy * cy <= radius * radius;
      let c = inside ? bg : null;
      const u = (x / size - pad) / (1 - 2 * pad);
      const v = (y / size - pad) / (1 - 2 * pad);
      if (inside && u >= 0 && u <= 1 && v >= 0 && v <= 1) {
        const row = Math.floor(v * 7);
        if (row % 2 === 0 && row / 2 < bars.length && u <= bars[row / 2]) c = fg;
      }
      png.data.set(c ? [...c, 255] : [0, 0, 0, 0], o);
    }
  }
  return PNG.sync.write(png);
}

const out = new URL('../public/', import.meta.url);
writeFileSync(new URL('icon-192.png', out), icon(192, { maskable: false }));
writeFileSync(new URL('icon-512.png', out), icon(512, { maskable: false }));
writeFileSync(new URL('icon-maskable-512.png', out), icon(512, { maskable: true }));
writeFileSync(new URL('apple-touch-icon.png', out), icon(180, { maskable: true }));
console.log('icons written to public/');
