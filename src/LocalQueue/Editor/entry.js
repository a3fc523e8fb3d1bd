// The libraries of the dashboard's task editor, bundled into one module (dist/editor-libs.js,
// served as /ui/editor-libs.js) that the editor page imports when it opens.
export { parseDocument, LineCounter, isMap, isSeq, isScalar, isPair } from 'yaml';
export { Validator } from '@cfworker/json-schema';
