package io.astaire.k8s.inject;

/** A workload the injector cannot change, with where it is and why. */
public final class InjectException extends RuntimeException {
    public InjectException(String message) {
        super(message);
    }
}
