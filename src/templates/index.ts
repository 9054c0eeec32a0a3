/** Prompt templates: parse (pure), find and list (file I/O), render (pure core plus the rules around it). */
export type { Template, TemplateVar, TemplateWhere, VariableInfo } from './types.js';
export { parseTemplate, schemaNameFor, templateOptions } from './parse.js';
export { findTemplate, listTemplates, loadTemplate, shadowedBy, templateDirs, builtinPromptsDir, isTemplatePath, type ListedTemplate, type TemplateDir } from './find.js';
export { parseVarFlags, coerceVars } from './vars.js';
export { renderTemplate, renderBody, describeVariables } from './render.js';
export { mergeOptions } from './options.js';
export { loadSchemaFile, checkSchema, resolveSchema, schemaFromFlag, type NamedSchema } from './schema.js';
export { scanBody, splitSegments, variablesIn, type Token, type Segment } from './syntax.js';
