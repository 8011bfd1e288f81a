// Colours a tenant chooses, made safe to read: WCAG 2 contrast, a readable text colour on a
// background, and a shade of a brand colour dark (or light) enough to be text or a focus ring on
// the console's own surfaces. Pure functions: the shell applies them, the branding page warns
// with them.

/** `#RGB`, `#RRGGBB` or `#RRGGBBAA` as `#rrggbb`; null for anything else. */
export function sixDigits(colour) {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(colour ?? '');
  if (!m) return null;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1].slice(0, 6);
  return `#${hex.toLowerCase()}`;
}

function channels(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function toHex(rgb) {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance of `#rrggbb`. */
export function luminance(hex) {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two colours, 1 to 21. */
export function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** Black or white, whichever reads better on `background` (always at least 4.5:1). */
export function readableOn(background) {
  return contrast(background, '#000000') >= contrast(background, '#ffffff') ? '#000000' : '#ffffff';
}

/**
 * `colour`, or the nearest shade of it (mixed towards black on light backgrounds, white on dark
 * ones) that stands out `ratio`:1 from every colour of `backgrounds`.
 */
export function shadeFor(colour, backgrounds, ratio) {
  const base = channels(colour);
  const dark = backgrounds.every((bg) => luminance(bg) < 0.18);
  const target = dark ? [255, 255, 255] : [0, 0, 0];
  for (let step = 0; step <= 20; step += 1) {
    const t = step / 20;
    const shade = toHex(base.map((c, i) => c + (target[i] - c) * t));
    if (backgrounds.every((bg) => contrast(shade, bg) >= ratio)) return shade;
  }
  return toHex(target);
}

/** `ratio` as people read it: "2.1:1". */
export function ratioText(ratio) {
  return `${Math.floor(ratio * 10) / 10}:1`;
}
