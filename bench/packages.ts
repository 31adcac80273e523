// The workspace packages, for the install-size benchmark and the package tests (test/packages.test.ts): which folder holds
// which package (from the root package.json's `workspaces`, their one owner), and what an edge host installs.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from './util.js'

const pkgName = (folder: string): string => JSON.parse(readFileSync(join(projectRoot(), folder, 'package.json'), 'utf8')).name
/** Folder -> package name, for every workspace. */
export const WORKSPACE_PACKAGES: [folder: string, name: string][] = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')).workspaces as string[]).map((f) => [f, pkgName(f)])
/** What the README's edge-host program imports. */
export const EDGE_PACKAGES: string[] = ['@jaegis/runtime', '@jaegis/gateway']
/** Packages an edge host must never pull: the compilers and their toolchains. */
export const COMPILER_PACKAGES: string[] = ['@bytecodealliance/jco', '@bytecodealliance/jco-transpile', '@bytecodealliance/componentize-js', '@bytecodealliance/wizer', 'binaryen', 'assemblyscript', 'typescript']
