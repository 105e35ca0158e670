/**
 * Which IP addresses a document download may not reach: everything that is not a public unicast address
 * (private, loopback, link-local, unique-local, unspecified, multicast, reserved) and the cloud metadata
 * endpoints. IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
 */
import { isIP } from 'node:net';

interface Block {
    /** Network address as bytes (4 for IPv4, 16 for IPv6). */
    network: number[];
    prefix: number;
    reason: string;
}

const IPV4_BLOCKS: readonly [string, number, string][] = [
    // Cloud metadata endpoints first, so a refusal names them: AWS/GCP/Azure/OpenStack, AWS ECS, Alibaba, and
    // Azure's wire server (a public-range address).
    ['169.254.169.254', 32, 'metadata address'],
    ['169.254.170.2', 32, 'metadata address'],
    ['100.100.100.200', 32, 'metadata address'],
    ['168.63.129.16', 32, 'metadata address'],
    ['0.0.0.0', 8, 'unspecified address'],
    ['10.0.0.0', 8, 'private address'],
    ['100.64.0.0', 10, 'carrier-grade NAT address'],
    ['127.0.0.0', 8, 'loopback address'],
    ['169.254.0.0', 16, 'link-local address'],
    ['172.16.0.0', 12, 'private address'],
    ['192.0.0.0', 24, 'reserved address'],
    ['192.0.2.0', 24, 'reserved address'],
    ['192.168.0.0', 16, 'private address'],
    ['198.18.0.0', 15, 'reserved address'],
    ['198.51.100.0', 24, 'reserved address'],
    ['203.0.113.0', 24, 'reserved address'],
    ['224.0.0.0', 4, 'multicast address'],
    ['240.0.0.0', 4, 'reserved address']
];

const IPV6_BLOCKS: readonly [string, number, string][] = [
    ['::', 128, 'unspecified address'],
    ['::1', 128, 'loopback address'],
    // IPv4-compatible (deprecated) addresses.
    ['::', 96, 'reserved address'],
    ['fe80::', 10, 'link-local address'],
    ['fec0::', 10, 'reserved address'],
    ['fd00:ec2::254', 128, 'metadata address'],
    ['fc00::', 7, 'unique-local address'],
    ['ff00::', 8, 'multicast address'],
    ['100::', 64, 'reserved address'],
    ['2001:db8::', 32, 'reserved address']
];

/** IPv6 prefixes whose low 32 bits (or, for 6to4, bits 16–48) are an IPv4 address. */
const EMBEDDED_IPV4: readonly [string, number, (bytes: number[]) => number[]][] = [
    ['::ffff:0:0', 96, (bytes) => bytes.slice(12)],
    ['64:ff9b::', 96, (bytes) => bytes.slice(12)],
    ['64:ff9b:1::', 48, (bytes) => bytes.slice(12)],
    ['2002::', 16, (bytes) => bytes.slice(2, 6)]
];

const ipv4Blocks: Block[] = IPV4_BLOCKS.map(([address, prefix, reason]) => ({
    network: ipv4Bytes(address),
    prefix,
    reason
}));
const ipv6Blocks: Block[] = IPV6_BLOCKS.map(([address, prefix, reason]) => ({
    network: ipv6Bytes(address),
    prefix,
    reason
}));

/** Why a download may not connect to `address` (an IP literal), or undefined for a public unicast address. */
export function refusedAddressReason(address: string): string | undefined {
    const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const family = isIP(bare);
    if (family === 4) return matchBlock(ipv4Bytes(bare), ipv4Blocks);
    if (family !== 6) return 'not an IP address';
    const bytes = ipv6Bytes(bare);
    for (const [network, prefix, extract] of EMBEDDED_IPV4) {
        if (inPrefix(bytes, ipv6Bytes(network), prefix)) return matchBlock(extract(bytes), ipv4Blocks);
    }
    return matchBlock(bytes, ipv6Blocks);
}

function matchBlock(bytes: number[], blocks: readonly Block[]): string | undefined {
    return blocks.find((block) => inPrefix(bytes, block.network, block.prefix))?.reason;
}

function inPrefix(bytes: number[], network: number[], prefix: number): boolean {
    for (let bit = 0; bit < prefix; bit += 8) {
        const width = Math.min(8, prefix - bit);
        const mask = (0xff << (8 - width)) & 0xff;
        if ((bytes[bit / 8]! & mask) !== (network[bit / 8]! & mask)) return false;
    }
    return true;
}

function ipv4Bytes(address: string): number[] {
    return address.split('.').map(Number);
}

/** The 16 bytes of an IPv6 literal (`::` shorthand and a trailing dotted IPv4 part allowed). */
function ipv6Bytes(address: string): number[] {
    let text = address;
    const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (dotted) {
        const [a, b, c, d] = ipv4Bytes(dotted[1]!);
        text = `${text.slice(0, dotted.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
    }
    const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
    const headGroups = head ? head.split(':') : [];
    const tailGroups = tail ? tail.split(':') : [];
    const missing = 8 - headGroups.length - tailGroups.length;
    const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
    return groups.flatMap((group) => {
        const value = parseInt(group, 16);
        return [value >> 8, value & 0xff];
    });
}
