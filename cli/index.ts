// Public entry point of the `jaegis` package: the command itself, callable from code.
export { main } from './main.js'
