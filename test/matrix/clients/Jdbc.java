// pgjdbc as a JVM application uses JDBC_DATABASE_URL: DriverManager.getConnection(url), the user
// and password being parameters of the URL. Run with the source launcher:
//   java -cp /usr/share/java/postgresql.jar Jdbc.java <cases.tsv> <results.tsv>
// Each line of cases.tsv: id TAB JDBC_DATABASE_URL. Each result line: id TAB user TAB ssl, or id TAB ERROR TAB message.
import java.nio.file.*;
import java.sql.*;
import java.util.*;

public class Jdbc {
  public static void main(String[] args) throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Paths.get(args[0]))) {
      if (line.isEmpty()) continue;
      String[] f = line.split("\t", 2);
      try (Connection c = DriverManager.getConnection(f[1]);
           Statement s = c.createStatement();
           ResultSet r = s.executeQuery("SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
        r.next();
        out.add(f[0] + "\t" + r.getString(1) + "\t" + r.getBoolean(2));
      } catch (SQLException e) {
        out.add(f[0] + "\tERROR\t" + String.valueOf(e.getMessage()).replace('\n', ' ').replace('\t', ' '));
      }
    }
    Files.write(Paths.get(args[1]), out);
  }
}
