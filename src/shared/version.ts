/** The product version, shown by `mng --version`, the agent summary and status documents. Keep in step with package.json. */
export const productVersion = '0.1.0';
