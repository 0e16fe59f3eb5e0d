import { DashboardApp } from "./dashboard-app.js";
import { takeDashboardToken } from "./dashboard-token.js";

const root = document.getElementById("app");
if (root === null) throw new Error("index.html has no #app element");
const token = takeDashboardToken();
new DashboardApp({ root, ...(token === undefined ? {} : { token }) }).start();
