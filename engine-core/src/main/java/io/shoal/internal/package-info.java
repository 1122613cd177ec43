/**
 * Shoal-internal, shared by the node ({@code io.shoal.core}) and the Java client
 * ({@code io.shoal.client}); not an API: may change in any release. The classes are public only
 * because the two packages that use them are different packages of this module.
 */
package io.shoal.internal;
