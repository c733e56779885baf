/**
 * Puts the agent's QR code (SVG text) into the page safely: the text is parsed as XML (nothing in
 * it runs), and a fresh SVG tree is built from the allowed elements and attributes only
 * (svg-allowlist.ts). Parsed nodes are never inserted, so anything the allow list does not know
 * cannot reach the document.
 */
import { isAllowedSvgAttribute, isAllowedSvgElement, maxSvgDepth, maxSvgElements } from './svg-allowlist';

const svgNamespace = 'http://www.w3.org/2000/svg';

/** A clean copy of `markup` as an `<svg>` element of `doc`, or null when it is not acceptable SVG. */
export function sanitizeSvg(markup: string, doc: Document): SVGSVGElement | null {
  const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = parsed.documentElement;
  if (parsed.getElementsByTagName('parsererror').length > 0) return null;
  if (root.namespaceURI !== svgNamespace || root.localName !== 'svg') return null;
  let budget = maxSvgElements;

  const copy = (source: Element, depth: number): Element | null => {
    if (source.namespaceURI !== svgNamespace || !isAllowedSvgElement(source.localName)) return null;
    if (depth > maxSvgDepth || budget <= 0) return null;
    budget -= 1;
    const target = doc.createElementNS(svgNamespace, source.localName);
    for (const attribute of Array.from(source.attributes)) {
      // Namespaced attributes (xlink:href, xml:base…) are never kept.
      if (attribute.namespaceURI !== null || attribute.prefix !== null) continue;
      if (isAllowedSvgAttribute(attribute.localName, attribute.value)) target.setAttribute(attribute.localName, attribute.value);
    }
    for (const child of Array.from(source.childNodes)) {
      if (child.nodeType === 3 && (source.localName === 'title' || source.localName === 'desc')) {
        target.appendChild(doc.createTextNode(child.textContent ?? ''));
      } else if (child.nodeType === 1) {
        const kept = copy(child as Element, depth + 1);
        if (kept !== null) target.appendChild(kept);
      }
    }
    return target;
  };

  const clean = copy(root, 0);
  return clean === null ? null : (clean as SVGSVGElement);
}
