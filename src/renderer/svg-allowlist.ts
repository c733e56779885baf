/**
 * What an enrollment QR code may contain when it is put into the page: plain SVG shapes and their
 * presentation attributes. No script, no foreignObject, no links or references (href, xlink:href,
 * url(…)), no event handlers, no style (the CSP forbids inline style anyway). Pure: the DOM walker
 * in svg-sanitizer.ts asks these.
 */

/** SVG elements kept (with their allowed attributes); anything else is dropped with its subtree. */
export const allowedSvgElements: ReadonlySet<string> = new Set([
  'svg',
  'g',
  'path',
  'rect',
  'circle',
  'ellipse',
  'line',
  'polyline',
  'polygon',
  'title',
  'desc',
]);

/** Attributes kept, by local name (no namespace: `xlink:href` never matches). */
export const allowedSvgAttributes: ReadonlySet<string> = new Set([
  'viewBox',
  'width',
  'height',
  'version',
  'preserveAspectRatio',
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'cx',
  'cy',
  'r',
  'rx',
  'ry',
  'd',
  'points',
  'transform',
  'fill',
  'fill-rule',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-linecap',
  'stroke-linejoin',
  'stroke-opacity',
  'opacity',
  'clip-rule',
  'shape-rendering',
]);

/** Largest number of elements kept (a 40-version QR as rects stays far below). */
export const maxSvgElements = 50_000;
/** Deepest nesting kept. */
export const maxSvgDepth = 16;

/** True when an element of this local name may be kept. */
export function isAllowedSvgElement(localName: string): boolean {
  return allowedSvgElements.has(localName);
}

/**
 * True when an attribute may be kept: its name is allowed, it has no namespace prefix, and its
 * value cannot reference or run anything (no `url(`, no scheme, no markup), within 100,000 chars.
 */
export function isAllowedSvgAttribute(name: string, value: string): boolean {
  if (!allowedSvgAttributes.has(name)) return false;
  if (value.length > 100_000) return false;
  return !/url\s*\(|javascript:|data:|vbscript:|expression\s*\(|[<>"'`\\&]/i.test(value);
}
