import { PNG } from 'pngjs';

/**
 * The app's two icons, drawn in code so they can be remade exactly: a key on Teams' accent
 * colour (192×192, full colour), and its white silhouette on transparent (32×32), which Teams
 * requires of the outline icon.
 */
export function drawIcons(): { color: Buffer; outline: Buffer } {
  return {
    color: draw(192, [0x46, 0x47, 0x75, 0xff], [0xff, 0xff, 0xff, 0xff]),
    outline: draw(32, [0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff]),
  };
}

/** A key: a ring (the bow) on the left, a shaft to the right with two teeth. */
function draw(size: number, background: number[], ink: number[]): Buffer {
  const png = new PNG({ width: size, height: size });
  const unit = size / 32;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / unit;
      const v = (y + 0.5) / unit;
      const ring = Math.hypot(u - 10, v - 16);
      const onKey =
        (ring <= 7 && ring >= 3.5) ||
        (u >= 16 && u <= 28 && v >= 14.5 && v <= 17.5) ||
        (u >= 22 && u <= 24 && v > 17.5 && v <= 21) ||
        (u >= 26 && u <= 28 && v > 17.5 && v <= 22);
      const colour = onKey ? ink : background;
      png.data.set(colour, (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}
