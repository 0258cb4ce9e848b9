//! Reports: sales by day, hour, product and cashier; margin; stock valuation.
//! (Being built: issue 5.)
