// @vitest-environment node
/// <reference types="node" />
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

// api.gen.ts is generated from api/openapi.yaml; a contract change without
// `npm run gen:api` (or `make generate`) fails here instead of drifting.
test('api.gen.ts is what openapi-typescript makes of api/openapi.yaml today', () => {
  const web = fileURLToPath(new URL('..', import.meta.url))
  const dir = mkdtempSync(join(tmpdir(), 'api-gen-'))
  try {
    const out = join(dir, 'api.gen.ts')
    execFileSync(process.execPath, [join(web, 'node_modules/openapi-typescript/bin/cli.js'), join(web, '../api/openapi.yaml'), '-o', out], { stdio: 'pipe' })
    expect(readFileSync(join(web, 'src/api.gen.ts'), 'utf8')).toBe(readFileSync(out, 'utf8'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
