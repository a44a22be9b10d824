/**
 * The chain model every role reads: service functions and where they run, chains (ordered
 * function lists with an SPI), classifier rules, and the ingress/egress that end each path.
 *
 * <p>One {@link io.astaire.model.Topology} is what a YAML file holds before the controller exists,
 * and what the controller serves afterwards. Everything here is immutable and validated on
 * construction: a bad field fails with a {@link io.astaire.model.ModelException} naming it.
 */
package io.astaire.model;
