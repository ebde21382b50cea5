/**
 * The translation caches of the core: the IOTLB ({@link io.nestor.core.cache.Iotlb}), the
 * paging-structure caches ({@link io.nestor.core.cache.WalkCache}) and the configuration cache
 * ({@link io.nestor.core.cache.ConfigCache}), with the vendor-neutral invalidation scopes
 * ({@link io.nestor.core.cache.InvalidationScope}) that VT-d descriptors and SMMUv3 commands are
 * reduced to, and {@link io.nestor.core.cache.TranslationCaches}, which applies a scope to all three.
 *
 * <p>The IOTLB and the walk caches hold numbers only, so they survive a driver swap; the
 * configuration cache holds driver objects (page-table format instances) and is emptied per unit
 * when the unit's driver leaves.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.cache;

import io.nestor.api.translation.InvalidationScope;
