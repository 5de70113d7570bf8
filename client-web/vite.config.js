import { defineConfig } from "vite";

// The gateway serves dist/; during development `npx vite` proxies /healthz and grpc-web calls to it.
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: {
      "/healthz": "http://127.0.0.1:7100",
      "/luoshi.v1.": "http://127.0.0.1:7100",
    },
  },
});
