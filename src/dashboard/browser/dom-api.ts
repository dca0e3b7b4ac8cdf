import type { KeyStorage } from "./key-store.js";

// The slice of the DOM the dashboard uses, typed here rather than through TypeScript's "dom" library: the
// repository is type-checked as one Node program, and the DOM library would change Node's global typings
// (structuredClone, parseArgs inference) for the server code. Everything below is standard DOM; only what the
// page calls is declared.

export interface DomEvent {
  preventDefault(): void;
}

export interface DomEventTarget {
  addEventListener(type: string, listener: (event: DomEvent) => void, options?: { once?: boolean }): void;
}

export interface DomElement extends DomEventTarget {
  textContent: string | null;
  className: string;
  hidden: boolean;
  readonly classList: {
    add(...tokens: string[]): void;
    remove(...tokens: string[]): void;
    toggle(token: string, force?: boolean): boolean;
  };
  setAttribute(name: string, value: string): void;
  append(...nodes: (DomElement | string)[]): void;
  replaceChildren(...nodes: (DomElement | string)[]): void;
}

/** An `<input>`. */
export interface DomInputElement extends DomElement {
  value: string;
}

export interface DomDocument extends DomEventTarget {
  readonly visibilityState: "visible" | "hidden" | "prerender";
  createElement(tag: string): DomElement;
  getElementById(id: string): DomElement | null;
}

export interface DomWindow extends DomEventTarget {
  readonly document: DomDocument;
  readonly location: { readonly hash: string; readonly origin: string };
  readonly sessionStorage: KeyStorage;
}

/** The page's window (in the browser, `globalThis` is the window). */
export function pageWindow(): DomWindow {
  return globalThis as unknown as DomWindow;
}
