import { startEtcd } from "../src/index.js";

// Port 0 picks free ports; no dataDir → a temporary one, removed on close.
const etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
console.log(etcd.clientUrls); // [ 'http://127.0.0.1:<port>' ]  — point etcdctl or any client here

// etcd.client is a typed @etcd-ts/client Client connected in-process: no socket.
const { client } = etcd;
const put = await client.put("greeting", "hello");
console.log(put.header.revision); // 2
console.log(await client.getString("greeting")); // hello

await etcd.close(); // closes etcd.client too

export const result = { revision: put.header.revision, closed: client.closed };
