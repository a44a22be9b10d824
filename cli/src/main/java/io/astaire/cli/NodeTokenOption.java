package io.astaire.cli;

import io.astaire.dataplane.config.NodeStatusReporter;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.NodeToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * {@code --node-token-file}: the credential a node reports to the controller with (its own token,
 * {@code NAME:TOKEN}, or the fleet's node secret), shared by {@code sf}, {@code ingress} and
 * {@code egress}. Without it, {@code $ASTAIRE_NODE_TOKEN}. The file must be private to its owner.
 */
final class NodeTokenOption {

    @Option(names = "--node-token-file", paramLabel = "FILE",
            description = "with --controller: the file holding this node's token (NAME:TOKEN from 'astaire controller "
                    + "--print-node-token NAME') or the controller's node secret (<db>.node-token); default: $"
                    + ControllerProtocol.NODE_TOKEN_ENV)
    Path file;

    /**
     * The credential, read now (a start-up error names the flag), or null when none is given.
     *
     * @throws IllegalArgumentException naming {@code --node-token-file}
     */
    String credential() {
        if (file == null) {
            return NodeStatusReporter.defaultCredential();
        }
        try {
            refuseIfExposed();
            String c = Files.readString(file).trim();
            if (c.isEmpty()) {
                throw new IllegalArgumentException("--node-token-file " + file + ": is empty");
            }
            return c;
        } catch (IOException e) {
            throw new IllegalArgumentException("--node-token-file " + file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    /** A token others can read may be known already: refused, as the controller refuses its own. */
    private void refuseIfExposed() throws IOException {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: the folder's permissions protect it
        }
        if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
            throw new IllegalArgumentException("--node-token-file " + file + ": is accessible by group or others (mode "
                    + PosixFilePermissions.toString(mode) + "); run chmod 600 " + file);
        }
    }

    /**
     * The credential for the node called {@code name} (null: not known yet), checked now: a token
     * bound to another name fails at start, naming the flag.
     */
    String credentialFor(String name) {
        String c = credential();
        if (c != null && name != null) {
            NodeToken.bearerFor(c, name);
        }
        return c;
    }
}
