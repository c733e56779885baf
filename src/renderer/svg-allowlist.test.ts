import { describe, expect, it } from 'vitest';
import { isAllowedSvgAttribute, isAllowedSvgElement } from './svg-allowlist';

describe('QR SVG allow list', () => {
  it.each(['svg', 'path', 'rect', 'g', 'title'])('keeps <%s>', (name) => {
    expect(isAllowedSvgElement(name)).toBe(true);
  });

  it.each(['script', 'foreignObject', 'a', 'use', 'image', 'style', 'animate', 'set', 'iframe', 'feImage', 'SCRIPT'])('drops <%s>', (name) => {
    expect(isAllowedSvgElement(name)).toBe(false);
  });

  it.each([
    ['viewBox', '0 0 37 37'],
    ['d', 'M4 4.5h7m7 0h1'],
    ['fill', '#ffffff'],
    ['stroke', '#000000'],
    ['shape-rendering', 'crispEdges'],
  ])('keeps %s="%s" (what the qrcode package writes)', (name, value) => {
    expect(isAllowedSvgAttribute(name, value)).toBe(true);
  });

  it.each([
    ['href', '#p'],
    ['xlink:href', '#p'],
    ['onload', 'alert(1)'],
    ['style', 'fill:red'],
    ['fill', 'url(#gradient)'],
    ['fill', 'URL ( #g )'],
    ['transform', 'javascript:alert(1)'],
    ['d', 'M0 0"><script>'],
    ['fill', 'data:image/png;base64,AAAA'],
    ['class', 'x'],
    ['id', 'p'],
  ])('drops %s="%s"', (name, value) => {
    expect(isAllowedSvgAttribute(name, value)).toBe(false);
  });

  it('drops an absurdly long value', () => {
    expect(isAllowedSvgAttribute('d', 'M0 0'.repeat(30_000))).toBe(false);
  });
});
