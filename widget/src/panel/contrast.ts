/**
 * The shop picks the brand colour (`data-color`); text on it and text in it must still be
 * readable (WCAG AA: contrast 4.5:1 for normal text). From the one colour this derives:
 * `solid`, the brand (darkened just enough if need be) behind white text (header, the
 * shopper's bubbles); `on`, that text colour (dark on a very light brand instead); and
 * `inkLight`/`inkDark`, the brand as text colour (chips, link buttons) on the light and
 * dark panel backgrounds.
 */
export type Rgb = [number, number, number];

export const LIGHT_BG: Rgb = [255, 255, 255];
export const DARK_BG: Rgb = [27, 29, 35];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const DARK_TEXT: Rgb = [31, 35, 40];
const AA = 4.5;

/** "rgb(229, 57, 53)" / "rgba(…)" (what getComputedStyle gives) → [229, 57, 53]. */
export function parseRgb(value: string): Rgb | null {
  const m = value.match(/rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as Rgb;
}

/** `color` moved toward `toward` in small steps until it reaches AA against `against`. */
function readable(color: Rgb, against: Rgb, toward: Rgb): Rgb {
  for (let t = 0; t <= 1; t += 0.04) {
    const c = mix(color, toward, t);
    if (contrast(c, against) >= AA) return c;
  }
  return toward;
}

export const css = ([r, g, b]: Rgb): string => `rgb(${r}, ${g}, ${b})`;

export function brandColors(brand: Rgb): { solid: Rgb; on: Rgb; inkLight: Rgb; inkDark: Rgb } {
  let solid = brand;
  let on = WHITE;
  if (contrast(WHITE, brand) < AA) {
    // A light brand (yellow, mint) keeps its colour with dark text; others darken a little.
    if (contrast(DARK_TEXT, brand) >= 7) on = DARK_TEXT;
    else solid = readable(brand, WHITE, BLACK);
  }
  return {
    solid,
    on,
    inkLight: readable(brand, LIGHT_BG, BLACK),
    inkDark: readable(brand, DARK_BG, WHITE),
  };
}
