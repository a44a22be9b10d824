package io.astaire.model;

/**
 * The head (ingress) or the tail (egress) of every path: where its encapsulated traffic arrives.
 * The egress receives forward paths; the ingress receives the reverse paths of symmetric chains.
 */
public record EndpointSpec(HopAddress address) {}
