console.log(JSON.stringify({ args: process.argv.slice(2), marker: process.env.BATTLE_MARKER }));
