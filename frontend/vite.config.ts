// The dashboard's build: one static bundle for every environment (the runtime settings come from /config.json).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig(({ command }) => ({
  root: import.meta.dirname,
  plugins: [react()],
  // A build is the production bundle even when a test process (NODE_ENV=test) starts it: Vite takes its mode
  // from NODE_ENV, and the browser tests and the bench would otherwise get React's development build (and
  // leave it in dist for `npm start`).
  ...(command === 'build'
    ? { define: { 'process.env.NODE_ENV': JSON.stringify('production') }, esbuild: { jsxDev: false } }
    : {}),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
}));
