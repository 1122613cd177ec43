/**
 * The Shoal wire protocol codec, shared by the node and the Java client; applications use
 * {@code ShoalClient}. Shoal-internal: these types are public only so that the node's server and
 * the client, which live in other packages, can share one codec; they may change between releases.
 *
 * <p>The contract is {@code docs/protocol.md} (protocol version 1). A {@link io.shoal.protocol.Frame}
 * is a header (opcode, flags, request id) and a body {@link io.shoal.protocol.Message}: a
 * {@link io.shoal.protocol.Request}, a {@link io.shoal.protocol.Reply}, an
 * {@link io.shoal.protocol.ErrorReply} or a {@link io.shoal.protocol.Push}, with one record per
 * frame kind of the spec; {@link io.shoal.protocol.ClusterWire} holds the values (views, partition
 * tables, replicated changes) of the node-to-node messages of section 11.
 * {@link io.shoal.protocol.ProtocolCodec} turns frames into bytes and back;
 * bad input fails with a {@link io.shoal.protocol.ProtocolException} that carries the
 * {@link io.shoal.protocol.ErrorCode} to answer with. {@link io.shoal.protocol.AuthProofs} computes
 * the AUTH proofs.
 *
 * <p>Every type here is immutable or stateless, so any thread may use it. Message records hold
 * their {@code byte[]} fields without copying them: whoever builds or receives a message must not
 * change those arrays afterwards.
 */
package io.shoal.protocol;
