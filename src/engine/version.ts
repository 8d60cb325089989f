/** Version reported by `/_localstack/info`; bump with engine behaviour changes. */
export const ENGINE_VERSION = "0.1.0";
export const ENGINE_NAME = "image-metadata-pipeline embedded engine";
