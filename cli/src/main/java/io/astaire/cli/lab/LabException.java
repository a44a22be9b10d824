package io.astaire.cli.lab;

/** Building or running the lab failed; the message names the command and what it printed. */
public final class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
