// Link latency from coordinates: great-circle (haversine) distance at the speed of light in fibre.

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088
/** Speed of light in vacuum, km/s. */
export const SPEED_OF_LIGHT_KM_PER_S = 299_792.458
/** Group index of standard single-mode fibre (ITU-T G.652, about 1.468 at 1550 nm). */
export const FIBRE_REFRACTIVE_INDEX = 1.468
/** Light in fibre covers about 204.2 km per millisecond, i.e. about 4.9 us per km. */
export const FIBRE_KM_PER_MS = SPEED_OF_LIGHT_KM_PER_S / FIBRE_REFRACTIVE_INDEX / 1000

const RAD = Math.PI / 180

/** Great-circle distance in km between two points given in degrees (haversine formula). */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD
  const dLon = (lon2 - lon1) * RAD
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, s)))
}

/** One-way propagation latency in ms over fibre laid along the great circle (a lower bound on real links). */
export function fibreLatencyMs(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return greatCircleKm(lat1, lon1, lat2, lon2) / FIBRE_KM_PER_MS
}

/** The spherical centroid (mean of unit vectors) of points in degrees; undefined when they cancel out. */
export function sphericalCentroid(points: readonly { latitude: number; longitude: number }[]): { latitude: number; longitude: number } | undefined {
  let x = 0
  let y = 0
  let z = 0
  for (const p of points) {
    const la = p.latitude * RAD
    const lo = p.longitude * RAD
    x += Math.cos(la) * Math.cos(lo)
    y += Math.cos(la) * Math.sin(lo)
    z += Math.sin(la)
  }
  const r = Math.hypot(x, y, z)
  if (points.length === 0 || r < 1e-12) return undefined
  return { latitude: Math.asin(z / r) / RAD, longitude: Math.atan2(y, x) / RAD }
}
