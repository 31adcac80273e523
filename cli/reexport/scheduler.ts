// `jaegis/scheduler`: the CLI package re-exports @jaegis/scheduler, so that projects depending on `jaegis` alone
// (the scaffold of `jaegis new`) import it by the name the docs use.
export * from '@jaegis/scheduler'
