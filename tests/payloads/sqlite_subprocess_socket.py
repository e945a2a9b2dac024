# A learn-mode payload: sqlite3 on a file, a subprocess, and a TCP socket
# pair on the loopback interface. Used by tests/learn_vs_strace.rs and the
# supervise benchmark; prints what it did, so a run can be checked.
import os
import socket
import sqlite3
import subprocess
import tempfile

d = tempfile.mkdtemp()
db = sqlite3.connect(os.path.join(d, "t.db"))
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(100)])
db.commit()
print("rows", db.execute("select count(*) from t").fetchone()[0])
db.close()

print("true", subprocess.run(["/bin/true"]).returncode)

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
cli = socket.create_connection(srv.getsockname())
conn, _ = srv.accept()
cli.sendall(b"ping")
print("got", conn.recv(4).decode())
for s in (conn, cli, srv):
    s.close()

for f in os.listdir(d):
    os.unlink(os.path.join(d, f))
os.rmdir(d)
