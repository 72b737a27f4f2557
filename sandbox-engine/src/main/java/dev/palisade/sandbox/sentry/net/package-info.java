/**
 * Sockets the Sentry implements itself (the KVM platform), so that nothing a program does opens a
 * host socket or reaches the host's network. {@link Loopback} is a sandbox's virtual network,
 * whose only way in is a connection the embedding code (the ingress) makes, and
 * {@link SocketFile} its TCP sockets; {@link UnixSocket} and {@link UnixNames} are the sandbox's
 * AF_UNIX sockets and their names, which find only the sandbox's own sockets.
 */
package dev.palisade.sandbox.sentry.net;
