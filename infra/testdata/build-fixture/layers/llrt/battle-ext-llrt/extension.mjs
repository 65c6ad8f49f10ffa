console.log("fixture llrt extension");
