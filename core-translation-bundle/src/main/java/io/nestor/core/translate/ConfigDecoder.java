package io.nestor.core.translate;

import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.TranslationConfig;

/**
 * Decodes the configuration of a request source when the configuration cache misses. The platform
 * implements it by finding the unit's context and bound driver and calling
 * {@link io.nestor.api.driver.IommuDriver#decodeConfig}; the engine knows neither.
 */
@FunctionalInterface
public interface ConfigDecoder {

    /**
     * The configuration that applies to requests of {@code sourceId} with {@code pasid} on
     * {@code unit} ({@code -1}: requests without a PASID).
     *
     * @throws FaultException when the configuration is absent or invalid; the engine reports the
     *     fault for the request
     */
    TranslationConfig decode(int unit, int sourceId, int pasid) throws FaultException;
}
