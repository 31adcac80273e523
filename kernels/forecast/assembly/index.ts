// Forecast kernel entry: exports the wasm API (layout, season detection, ETS, intermittent, naive).
// The TypeScript wrapper in ../index.ts owns model selection and the public API.
export { prepare, scan, nanCount, infCount, zeroCount, minValue, yPtr, meanPtr, lowerPtr, upperPtr, acfPtr, s1InitPtr, s2InitPtr } from './memory'
export { acf, detectSeasons, seasonsOut } from './acf'
export { fitEts, forecastEts, unitParam, setSimplexStep, setUseLm, L0, B0, alpha, beta, gamma1, gamma2, phi, level, slope, sse, evaluations } from './ets'
export { fitTsb, fitCroston, forecastFlat, seasonalNaive, sizeEst, probEst, alphaI, betaI, sigmaI } from './intermittent'
