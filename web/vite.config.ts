import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// Same origin as the API in every environment (Nginx serves both), so the
// dev server proxies /api to a running `make run`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false },
  server: { proxy: { '/api': 'http://localhost:58080' } },
  test: { environment: 'jsdom', include: ['src/**/*.test.{ts,tsx}'] },
})
