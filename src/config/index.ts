export { ConfigSchema, type Config, type ConfigInput } from "./schema.js";
export { loadConfig, dicomwebUrl, envToObject, deepMerge } from "./load.js";
