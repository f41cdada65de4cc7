import sharp from 'sharp';

function grey(size: number, level: (x: number, y: number) => number): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) pixels[y * size + x] = Math.round(level(x, y));
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

function solid(size: number, r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
}

/** Deterministic noise, so that a run is repeatable. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31) * 255;
  };
}

const DRAWING =
  '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300">' +
  '<rect width="300" height="300" fill="#8cf"/><circle cx="230" cy="70" r="40" fill="#fd0"/>' +
  '<rect x="60" y="150" width="120" height="100" fill="#c63"/>' +
  '<polygon points="50,150 120,90 190,150" fill="#922"/></svg>';

const SHAPES =
  '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">' +
  '<rect width="400" height="400" fill="#fff"/><ellipse cx="200" cy="200" rx="120" ry="150" ' +
  'fill="#e8b896"/><rect x="150" y="330" width="100" height="60" fill="#446"/></svg>';

/**
 * Images without a face, of the kinds a face detector has been seen to take for one: uniform
 * colours at several sizes, smooth gradients and blobs, noise, textures and drawings.
 */
export async function nonFaceImages(): Promise<[name: string, bytes: Buffer][]> {
  const radial =
    (size: number, stretch = 1) =>
    (x: number, y: number) =>
      Math.max(0, 255 * (1 - Math.hypot((x - size / 2) / stretch, y - size / 2) / (size / 2)));
  const images: [string, Promise<Buffer>][] = [];
  for (const size of [64, 150, 300, 1000]) {
    images.push([`black-${size}.png`, solid(size, 0, 0, 0)]);
  }
  images.push(
    ['white-300.png', solid(300, 255, 255, 255)],
    ['grey-300.png', solid(300, 128, 128, 128)],
    ['red-300.png', solid(300, 200, 30, 30)],
    ['skin-300.png', solid(300, 232, 184, 150)],
    ['radial-150.png', grey(150, radial(150))],
    ['radial-400.png', grey(400, radial(400))],
    ['oval-400.png', grey(400, radial(400, 0.8))],
    ['gradient-300.png', grey(300, (x) => (255 * x) / 300)],
    ['diagonal-300.png', grey(300, (x, y) => (255 * (x + y)) / 600)],
    ['noise-300.png', grey(300, noise(1))],
    ['checker-300.png', grey(300, (x, y) => (((x >> 4) + (y >> 4)) % 2 ? 230 : 20))],
    ['stripes-300.png', grey(300, (x) => 128 + 100 * Math.sin(x / 6))],
    ['drawing.png', sharp(Buffer.from(DRAWING)).png().toBuffer()],
    ['shapes.png', sharp(Buffer.from(SHAPES)).png().toBuffer()],
  );
  return Promise.all(images.map(async ([name, bytes]) => [name, await bytes] as [string, Buffer]));
}
