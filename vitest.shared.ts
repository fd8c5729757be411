import { defaultClientConditions, defaultServerConditions } from "vite";

/**
 * Workspace packages are tested from their TypeScript sources: each package.json's exports have a
 * "choirmesh-source" condition (the compiled dist/ is what Node runs).
 */
export const SOURCE_CONDITION = "choirmesh-source";

export const resolveFromSource = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
};
