import type { GenerationOptions } from '../domain/index.js';

export interface TemplateVar {
  default?: string;
  description?: string;
}

/** A parsed, validated template file: front matter in typed fields, the body still unrendered. */
export interface Template {
  /** The file name without `.md`. */
  name: string;
  /** Absolute (or as given) path of the file; `{{file:…}}` and `schema: file.json` resolve from its folder. */
  path: string;
  description?: string;
  model?: string;
  profile?: string;
  system?: string;
  /** Generation options from front matter (camelCase keys); `system` and `schema` are kept apart. */
  options: GenerationOptions;
  vars: Record<string, TemplateVar>;
  schema?: { name: string; schema: Record<string, unknown> };
  /** `schema: some.json` in front matter, resolved against the template's folder; the loader reads it into `schema`. */
  schemaFile?: string;
  expect: { output_tokens?: number };
  /** Front matter `tools:`: tool names (or files) offered to the model when the template runs. */
  tools?: string[];
  /** Front matter `chunk: {map, reduce}`: the prompts of `--chunk` (default: the body for both). */
  chunk?: { map?: string; reduce?: string };
  body: string;
  /** The line of the file the body starts on, so body errors can name `file:line`. */
  bodyLine: number;
  /**
   * Set for a template from an untrusted folder: it may read files only inside `dir`, and the profile it
   * picks must not send prompts off this machine; `trust` is what `gpt config trust` needs to allow more.
   */
  confinedTo?: { dir: string; trust: string };
}

/** Where templates are looked up (SPEC: Templates). */
export interface TemplateWhere {
  cwd: string;
  /** `templates.paths` from config, searched after ./prompts. */
  templatePaths: string[];
  /** `$XDG_CONFIG_HOME/gpt`; its `prompts/` folder is searched after `templates.paths`. */
  configDir: string;
  /** The templates shipped with gpt, searched last; undefined finds them next to the package, null skips them. */
  builtinDir?: string | null;
  /** What the user trusts; absent: ./prompts is untrusted, templates.paths trusted. */
  trust?: {
    /** Directories trusted with `gpt config trust <dir>` (canonical). */
    dirs: string[];
    /** templates.paths entries added by an untrusted project config. */
    untrustedPaths: string[];
    /** That untrusted config file, which is what to trust for them. */
    untrustedConfig?: string;
  };
}

/** One variable as `gpt templates` shows it. */
export interface VariableInfo {
  name: string;
  required: boolean;
  default?: string;
  description?: string;
}
