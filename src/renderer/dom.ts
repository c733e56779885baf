/**
 * Tiny DOM helpers. Text goes in through textContent only: nothing from the agent or the bridge is
 * ever parsed as HTML (the QR code goes through svg-sanitizer.ts).
 */

/** Creates an element with an id/class and optional attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  props: { id?: string; className?: string; attrs?: Readonly<Record<string, string>>; text?: string } = {},
  children: readonly Node[] = [],
): HTMLElementTagNameMap[K] {
  const element = doc.createElement(tag);
  if (props.id !== undefined) element.id = props.id;
  if (props.className !== undefined) element.className = props.className;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  if (props.text !== undefined) element.textContent = props.text;
  for (const child of children) element.appendChild(child);
  return element;
}

/** Shows or hides an element (the `hidden` attribute). */
export function setShown(element: HTMLElement, shown: boolean): void {
  element.hidden = !shown;
}
