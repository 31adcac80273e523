// One Linux network namespace per cluster host, for the cluster tests (test/fleet-cluster.test.ts): a
// bridge in the root namespace with the run's gateway address (10.77.<n>.1/24) and, for each host, a
// namespace `jaegis-<pid>-<i>` joined to it by a veth pair (root end on the bridge, `eth0` inside with
// 10.77.<n>.<i+10>/24, default route via the bridge, `lo` up). Names carry the test process's pid, so
// parallel runs never share one; the /24 is the first one free from <pid mod 250>. Everything made is
// removed on teardown and when the process exits (even after a failed test); leftovers of runs whose
// process is gone (SIGKILLed) are swept on the next setup. Needs root and iproute2: where `ip netns
// add` does not work, `netnsUnavailable()` says why and the caller falls back to loopback ports.
import { execFileSync } from 'node:child_process'

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const quietly = (...args: string[]): void => {
  try {
    ip(...args)
  } catch {
    // already gone
  }
}

/** Namespaces and links this harness makes: `jaegis-<pid>-<i>` (and `-probe`), `jgb<pid>` (bridge), `jgv<pid>-<i>` (veth, root end). */
const NS_PATTERN = /^jaegis-(\d+)-(\d+|probe)$/
const LINK_PATTERN = /^jg[bv](\d+)(-\d+)?$/

export interface NetnsHost {
  /** The namespace's name, for `ip netns exec`. */
  ns: string
  /** The host's address inside it (eth0). */
  address: string
  /** The veth end on the bridge (root namespace). */
  veth: string
  /** Takes the host's link down (a cable pulled: packets to and from it vanish, no reset), or up again. */
  setLink(up: boolean): void
}

export interface NetnsLayout {
  bridge: string
  /** The bridge's address in the root namespace: what namespaced hosts reach nats-server and control at. */
  gateway: string
  hosts: NetnsHost[]
  /** Removes every namespace, veth and the bridge (idempotent, synchronous: safe in an 'exit' handler). */
  teardown(): void
}

/** Why namespaces cannot be used here (not root, no `ip`, `ip netns add` refused, JAEGIS_TEST_NETNS=0), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.env.JAEGIS_TEST_NETNS === '0') return 'JAEGIS_TEST_NETNS=0'
  if (process.platform !== 'linux') return `${process.platform} has no network namespaces`
  if (process.getuid?.() !== 0) return 'not root'
  const probe = `jaegis-${process.pid}-probe`
  try {
    ip('netns', 'add', probe)
  } catch (err) {
    return `\`ip netns add\` failed: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`
  }
  quietly('netns', 'del', probe)
  return undefined
}

/** The namespace a process is in, by pid (`ip netns identify`): '' when it is the root namespace. */
export function namespaceOf(pid: number): string {
  return ip('netns', 'identify', String(pid)).trim()
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes namespaces and links left by runs whose process no longer exists. */
export function sweepStale(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const m = NS_PATTERN.exec(line.split(' ')[0] ?? '')
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) quietly('netns', 'del', m[0])
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = / ([^ :@]+)[@:]/.exec(line)?.[1] ?? ''
    const m = LINK_PATTERN.exec(name)
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) quietly('link', 'del', name)
  }
}

/** Picks a 10.77.<n>.0/24 no interface here has an address in, starting from <pid mod 250>. */
function freeSubnet(): number {
  const used = new Set([...ip('-o', '-4', 'addr', 'show').matchAll(/inet 10\.77\.(\d+)\./g)].map((m) => Number(m[1])))
  for (let k = 0; k < 250; k++) {
    const n = 1 + ((process.pid + k) % 250)
    if (!used.has(n)) return n
  }
  throw new Error('no free 10.77.<n>.0/24 subnet')
}

/** Makes the bridge and `hosts` namespaces (see the top of this file). Throws (after cleaning up) if a step fails. */
export function createNetnsLayout(hosts: number): NetnsLayout {
  sweepStale()
  const pid = process.pid
  const n = freeSubnet()
  const bridge = `jgb${pid}`
  const gateway = `10.77.${n}.1`
  const made: { namespaces: string[]; links: string[] } = { namespaces: [], links: [] }
  let tornDown = false
  const teardown = () => {
    if (tornDown) return
    tornDown = true
    process.removeListener('exit', teardown)
    for (const l of made.links) quietly('link', 'del', l) // a veth pair goes with either end
    for (const ns of made.namespaces) quietly('netns', 'del', ns)
    quietly('link', 'del', bridge)
  }
  process.once('exit', teardown)
  try {
    ip('link', 'add', bridge, 'type', 'bridge')
    made.links.push(bridge)
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge)
    ip('link', 'set', bridge, 'up')
    const out: NetnsHost[] = []
    for (let i = 1; i <= hosts; i++) {
      const ns = `jaegis-${pid}-${i}`
      const veth = `jgv${pid}-${i}`
      const address = `10.77.${n}.${i + 10}`
      ip('netns', 'add', ns)
      made.namespaces.push(ns)
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      made.links.unshift(veth)
      ip('link', 'set', veth, 'master', bridge, 'up')
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      ip('-n', ns, 'route', 'add', 'default', 'via', gateway)
      out.push({ ns, address, veth, setLink: (up) => ip('link', 'set', veth, up ? 'up' : 'down') })
    }
    return { bridge, gateway, hosts: out, teardown }
  } catch (err) {
    teardown()
    throw err
  }
}
