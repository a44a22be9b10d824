package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
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
}
