/**
 * The few browser APIs the worklist uses, typed here instead of with lib.dom:
 * the project compiles src/ with one tsconfig whose types are Node's, and
 * lib.dom's fetch/body types clash with @types/node's. Type-only: nothing of
 * this file exists at run time (worklist.ts reads the real objects from
 * globalThis).
 */

export interface UiEvent {
  readonly type: string;
  readonly target: unknown;
  preventDefault(): void;
}

export interface UiKeyboardEvent extends UiEvent {
  readonly key: string;
  readonly altKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
}

export interface UiClassList {
  add(...names: string[]): void;
  remove(...names: string[]): void;
  toggle(name: string, force?: boolean): boolean;
  contains(name: string): boolean;
}

export interface UiElement {
  id: string;
  className: string;
  textContent: string | null;
  hidden: boolean;
  tabIndex: number;
  title: string;
  readonly tagName: string;
  readonly classList: UiClassList;
  readonly dataset: Record<string, string | undefined>;
  readonly parentElement: UiElement | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  getAttribute(name: string): string | null;
  append(...nodes: (UiElement | string)[]): void;
  replaceChildren(...nodes: (UiElement | string)[]): void;
  querySelector(selectors: string): UiElement | null;
  querySelectorAll(selectors: string): ArrayLike<UiElement>;
  closest(selectors: string): UiElement | null;
  addEventListener(type: string, listener: (event: UiKeyboardEvent) => void): void;
  focus(): void;
  click(): void;
}

export interface UiInput extends UiElement {
  value: string;
  disabled: boolean;
}

export interface UiAnchor extends UiElement {
  href: string;
  target: string;
  rel: string;
}

export interface UiImage extends UiElement {
  src: string;
  alt: string;
}

export interface UiDialog extends UiElement {
  readonly open: boolean;
  showModal(): void;
  close(): void;
}

export interface UiDocument {
  title: string;
  readonly activeElement: UiElement | null;
  getElementById(id: string): UiElement | null;
  createElement(tagName: string): UiElement;
  addEventListener(type: string, listener: (event: UiKeyboardEvent) => void): void;
}

export interface UiMessageEvent {
  readonly data: string;
}

export interface UiEventSource {
  onopen: (() => void) | null;
  onerror: (() => void) | null;
  readonly readyState: number;
  addEventListener(type: string, listener: (event: UiMessageEvent) => void): void;
  close(): void;
}

export interface UiGlobals {
  readonly document: UiDocument;
  readonly location: { readonly search: string; readonly hash: string; readonly pathname: string };
  readonly history: { replaceState(data: unknown, unused: string, url: string): void };
  readonly EventSource: new (url: string) => UiEventSource;
}
