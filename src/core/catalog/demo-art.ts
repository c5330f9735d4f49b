/**
 * Pictures for the demo catalog, drawn as SVG and rendered with sharp, so a newcomer can try a
 * search without owning any product photos. Flat drawings of a few garment shapes in distinct
 * colours: different enough that the right product comes first, alike enough that "more like
 * this" has neighbours.
 */
import sharp from 'sharp';

export type DemoShape = 'tshirt' | 'dress' | 'cap' | 'sneaker' | 'bag' | 'scarf';

/** Side of a demo product picture, in pixels. */
export const DEMO_IMAGE_SIZE = 480;

const BACKGROUND = '#f4f1ea';

function shapeSvg(shape: DemoShape, colour: string, accent: string): string {
  switch (shape) {
    case 'tshirt':
      return `<path d="M140 110 L200 80 Q240 112 280 80 L340 110 L400 170 L352 206 L330 188 L330 400 L150 400 L150 188 L128 206 L80 170 Z" fill="${colour}"/>
        <path d="M200 80 Q240 125 280 80" fill="none" stroke="${accent}" stroke-width="8"/>`;
    case 'dress':
      return `<path d="M198 78 L282 78 L288 150 Q332 250 372 404 L108 404 Q148 250 192 150 Z" fill="${colour}"/>
        <rect x="186" y="150" width="108" height="16" fill="${accent}"/>
        <path d="M198 78 L206 40 M282 78 L274 40" stroke="${colour}" stroke-width="10"/>`;
    case 'cap':
      return `<path d="M130 280 Q130 140 240 140 Q350 140 350 280 Z" fill="${colour}"/>
        <path d="M110 280 L420 280 Q440 312 390 320 L110 300 Z" fill="${accent}"/>
        <circle cx="240" cy="140" r="10" fill="${accent}"/>`;
    case 'sneaker':
      return `<path d="M80 310 Q92 226 168 214 L240 200 Q304 244 384 262 Q420 274 410 310 Z" fill="${colour}"/>
        <rect x="74" y="306" width="342" height="30" rx="12" fill="${accent}"/>
        <path d="M200 222 L230 246 M216 214 L246 238 M232 206 L262 230" stroke="${accent}" stroke-width="6"/>`;
    case 'bag':
      return `<path d="M186 200 Q186 110 240 110 Q294 110 294 200" fill="none" stroke="${accent}" stroke-width="14"/>
        <rect x="120" y="196" width="240" height="200" rx="22" fill="${colour}"/>
        <rect x="214" y="236" width="52" height="26" rx="6" fill="${accent}"/>`;
    case 'scarf': {
      const stripes = [0, 1, 2, 3, 4, 5].map((i) => `<rect x="${150 + i * 30}" y="70" width="15" height="330" fill="${accent}"/>`).join('');
      return `<g transform="rotate(-18 240 240)"><rect x="150" y="70" width="180" height="330" fill="${colour}"/>${stripes}
        <path d="M150 400 l0 24 M170 400 l0 24 M190 400 l0 24 M210 400 l0 24 M230 400 l0 24 M250 400 l0 24 M270 400 l0 24 M290 400 l0 24 M310 400 l0 24 M330 400 l0 24" stroke="${colour}" stroke-width="6"/></g>`;
    }
  }
}

/** The SVG source of one demo picture. */
export function demoSvg(shape: DemoShape, colour: string, accent: string): string {
  const size = DEMO_IMAGE_SIZE;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 480 480">
    <rect width="480" height="480" fill="${BACKGROUND}"/>
    <ellipse cx="240" cy="430" rx="170" ry="18" fill="#000" fill-opacity="0.08"/>
    ${shapeSvg(shape, colour, accent)}
  </svg>`;
}

/** A demo product picture as PNG bytes, {@link DEMO_IMAGE_SIZE} px square. */
export async function demoPng(shape: DemoShape, colour: string, accent: string): Promise<Buffer> {
  return sharp(Buffer.from(demoSvg(shape, colour, accent))).png().toBuffer();
}

/**
 * What a customer's photo of a demo product looks like: cropped a little off-centre, smaller,
 * re-encoded as JPEG. Used for the chat's "try a sample photo" buttons.
 */
export async function demoCustomerPhoto(shape: DemoShape, colour: string, accent: string): Promise<Buffer> {
  const crop = { left: 30, top: 18, width: DEMO_IMAGE_SIZE - 48, height: DEMO_IMAGE_SIZE - 40 };
  const cropped = await sharp(await demoPng(shape, colour, accent)).extract(crop).toBuffer();
  return sharp(cropped).resize(360).jpeg({ quality: 82 }).toBuffer();
}
