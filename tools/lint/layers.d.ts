// Types of layers.js (plain JavaScript, loaded by eslint.config.js without a TypeScript loader).
import type { Linter } from "eslint";

export interface Layer {
  readonly name: string;
  readonly parts: readonly string[];
  readonly peers?: boolean;
}
export declare const LAYERS: readonly Layer[];
export declare const NO_IO: readonly string[];
export declare const NO_IO_MODULES: readonly string[];
export declare function mayImport(from: string, to: string): boolean;
export declare function partOf(relPath: string): string | undefined;
export declare function layerBlocks(srcDir: string, srcPrefix?: string): Linter.Config[];
