package io.astaire.controller;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.astaire.model.EndpointSpec;

/**
 * The part of a topology that is not a collection: where paths end (the ingress for reverse paths,
 * the egress for forward paths) and the chain for traffic that no rule matches ({@code null} drops it).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Settings(EndpointSpec ingress, EndpointSpec egress, String defaultChain) {
    public static final Settings EMPTY = new Settings(null, null, null);
}
