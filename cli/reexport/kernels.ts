// `jaegis/kernels`: the CLI package re-exports @jaegis/kernels, so that projects depending on `jaegis` alone
// (the scaffold of `jaegis new`) import it by the name the docs use.
export * from '@jaegis/kernels'
