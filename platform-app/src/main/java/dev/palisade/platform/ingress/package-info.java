/**
 * The ingress: how a request for {@code service.tenant.<apps domain>} reaches the service's
 * sandbox. {@link dev.palisade.platform.ingress.IngressRouter} decides where a service's
 * requests go (an instance on this node, another node, or a page saying why neither); the
 * dedicated ingress port is a Netty front ({@link dev.palisade.platform.ingress.NettyIngress},
 * HTTP/1.1, h2c, TLS with HTTP/2, relayed {@code Upgrade}s); the platform port's ingress is a
 * servlet filter relaying through {@code HttpProxy}; {@code HopFilter} keeps what is the
 * platform's on its side of every hop.
 */
package dev.palisade.platform.ingress;
