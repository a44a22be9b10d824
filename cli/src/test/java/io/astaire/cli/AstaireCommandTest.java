package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import io.astaire.dataplane.ops.BuildInfo;
import org.junit.jupiter.api.Test;

class AstaireCommandTest {

    @Test
    void helpNamesTheCommandAndExitsZero() {
        StringWriter out = new StringWriter();
        var cli = AstaireCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("--help");
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("Usage: astaire").contains("NSH");
    }

    @Test
    void versionIsTheMavenVersionOfTheBuild() {
        StringWriter out = new StringWriter();
        var cli = AstaireCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("-V")).isZero();
        assertThat(BuildInfo.version()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(out.toString()).startsWith("astaire " + BuildInfo.version() + System.lineSeparator()).doesNotContain("development build");
    }

    @Test
    void aCommandLineWithSeveralMistakesReportsEveryOne() {
        StringWriter err = new StringWriter();
        var cli = AstaireCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("apply", "-x", "--prune=maybe");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '-x'", "Missing required option: '--filename=FILE'",
                "'maybe' is not a boolean", "Usage: astaire apply");
    }

    @Test
    void helpStillAnswersOnALineThatMissesARequiredOption() {
        StringWriter out = new StringWriter();
        var cli = AstaireCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("apply", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: astaire apply");
    }
}
